"""Channel adapters. Each talks to one transport and hands normalized reports to the gateway
through :mod:`gateway.adapter`; shared helpers (signing, SMS codecs) live once, here."""
