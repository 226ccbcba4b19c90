"""Channel adapters. Each one turns platform updates into `Inbound` and renders `Outbound` for its platform."""
