"""Background jobs: small loop services started by the app's lifespan."""
