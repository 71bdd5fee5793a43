"""The API's endpoints, one module per area; the routes table (``api.routes``) names them."""
