"""Authorization from the company LDAP: staff id -> groups -> roles -> permissions."""
