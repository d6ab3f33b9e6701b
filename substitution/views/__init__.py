"""Pages of the substitution app: one module per part of the flow."""
