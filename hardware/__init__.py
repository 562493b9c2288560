"""Device adapters (card readers, QR scanners, printers, gate relays, ...), each with a simulator."""
