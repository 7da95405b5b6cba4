# What issue 14's open Default Frontend looks like: someone "fixed" the scanner's relay by
# granting anonymous Accept-Any-Recipient on the internet-facing connector.
Add-ADPermission -Identity 'EX16\Default Frontend EX16' -User 'NT AUTHORITY\ANONYMOUS LOGON' -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient
