# Remove anonymous relay
Get-ADPermission 'EX16\Default Frontend EX16' | where { $_.User -eq 'NT AUTHORITY\ANONYMOUS LOGON' -and $_.ExtendedRights -like '*Any-Recipient*' } | Remove-ADPermission -Confirm:$false
