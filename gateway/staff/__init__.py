"""Staff of the console and the API: accounts, roles and their scope, API tokens, login checks."""
