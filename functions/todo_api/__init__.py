"""Handlers of the `todo-api` function's routes: task CRUD, queries, profile and audit."""
