"""Getting paid: invoices, credit notes, payments, balances and overdue reminders."""
