"""The EllaAI REST API server (FastAPI). Imports nothing here so that `server.schemas` stays light."""
