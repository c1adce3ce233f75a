# By numeric id:
terraform import jumpgate_user.jane 12
# or by username:
terraform import jumpgate_user.jane username=jane
# The password cannot be read back: after the import, the next apply sends
# the configured password (or password_wo) again.
