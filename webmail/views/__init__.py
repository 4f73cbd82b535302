"""Request handlers of the webmail, one module per group of pages."""
