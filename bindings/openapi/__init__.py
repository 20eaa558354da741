"""The OpenAPI 3.1 description of the functions' HTTP routes, built from the declaration table and the models.

`document.for_function` describes one function's own routes (served at its `GET /openapi.json`);
`document.whole` describes every function as the embedded runtime serves them (docs/openapi.json).
Nothing here is imported until a document is asked for: a pod's cold start does not pay for it.
"""
