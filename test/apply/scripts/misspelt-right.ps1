# Scanner relay (copied from a forum post)
New-ReceiveConnector -Name 'Scanner' -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.20.0.15 -PermissionGroups AnonymousUsers
Get-ReceiveConnector 'EX16\Scanner' | Add-ADPermission -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipent
