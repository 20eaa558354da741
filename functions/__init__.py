"""The business side of the Todo functions: handlers, domain rules and storage. No Flask, no Dapr."""
