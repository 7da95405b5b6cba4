<#
  Relay hardening, EX16 — reviewed with the customer.
  1. Take anonymous relay off the internet-facing Default Frontend (keep inbound mail).
  2. Give the scanner and the ERP host a dedicated relay connector.
#>
$ErrorActionPreference = 'Stop'

# 1. Remove only the anonymous Accept-Any-Recipient entry; AnonymousUsers keeps inbound mail.
Get-ADPermission -Identity 'EX16\Default Frontend EX16' |
    Where-Object { $_.User -like '*ANONYMOUS LOGON' -and $_.ExtendedRights -like '*Any-Recipient*' -and -not $_.IsInherited } |
    Remove-ADPermission -Confirm:$false

# 2. The relay connector, splatted as in our runbook.
$relay = @{
    Name             = 'Relay EX16'
    Server           = 'EX16'
    TransportRole    = 'FrontendTransport'
    Custom           = $true
    Bindings         = '0.0.0.0:25'
    RemoteIPRanges   = '10.20.0.15'
    PermissionGroups = 'AnonymousUsers'
}
New-ReceiveConnector @relay
Get-ReceiveConnector 'EX16\Relay EX16' | Add-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'

# The ERP hosts, one by one (Microsoft's read-modify-write pattern for the first).
$rc = Get-ReceiveConnector 'EX16\Relay EX16'
$rc.RemoteIPRanges += '10.20.0.16'
Set-ReceiveConnector 'EX16\Relay EX16' -RemoteIPRanges $rc.RemoteIPRanges
foreach ($ip in @('10.20.0.17', '10.20.0.18')) {
    Set-ReceiveConnector 'EX16\Relay EX16' -RemoteIPRanges @{ Add = $ip }
}
