"""The web layer: the Flask blueprint, bearer authentication and SCIM HTTP responses."""
