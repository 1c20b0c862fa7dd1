"""Operations: metrics, logs, health and status."""
