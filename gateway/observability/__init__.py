"""What the gateway tells whoever runs it: Prometheus metrics (`/metrics`) and the operator's `gateway status`."""
