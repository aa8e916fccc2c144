"""The EllaAI REST API server (FastAPI); imports nothing, so `server.schemas` stays light."""
