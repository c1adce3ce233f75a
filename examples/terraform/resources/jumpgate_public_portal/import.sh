# By numeric id:
terraform import jumpgate_public_portal.support 1
# or by host name:
terraform import jumpgate_public_portal.support hostname=support.example.com
