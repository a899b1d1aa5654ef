"""The anomaly lab: scripts that run real PostgreSQL and MariaDB servers, and injectors of known anomalies."""
