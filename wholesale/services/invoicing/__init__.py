"""Getting paid: invoices and credit notes, and the accountant's exports (``exports``)."""
