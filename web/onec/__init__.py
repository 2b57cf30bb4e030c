"""The link to 1C:Enterprise over its standard OData interface: orders in, identifications out."""
