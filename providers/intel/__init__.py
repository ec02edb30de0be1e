"""Intel XPU provider: GPU device IPs (namespace ``intel``, feature ``device_ip``)."""
