"""Streamlit-only glue: cached wrappers over the engine, data-source state and shared widgets."""
