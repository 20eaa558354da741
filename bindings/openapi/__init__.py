"""The OpenAPI 3.1 description of the functions' HTTP routes, built from the declaration table and the models.

`document.for_function` describes one function's own routes (served at its `GET /openapi.json`);
`document.whole` describes every function as the embedded runtime serves them (docs/openapi.json).
A pod imports only `route` when it starts; the rest on the first `GET /openapi.json`, so cold start does not
pay for it.
"""
