"""Letters printed in batches by the printing desks (issue 12): see docs/adr/0008-letter-batches.md."""
