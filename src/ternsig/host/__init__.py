"""The host side: DomainOps and (later) the substrate and brain runtime."""
