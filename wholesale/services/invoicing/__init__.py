"""Invoices and credit notes (issue 18): numbered, dated, taxed, written once.

- ``tax``: the one place tax and rounding are decided (the rule is stated in its docstring), pure functions.
- ``numbering``: ``take_number(kind)``, the gap-free sequence of each kind with its prefix.
- ``issuing``: ``issue_invoice(order, staff_id)``, ``invoice_of_order(order_id)``, and ``issue_on``, the hook
  the order's lifecycle calls when an order is approved or fulfilled (INVOICE_ISSUE_ON).
- ``credit_notes``: ``issue_credit_note(invoice_id, quantities, reason, staff_id)``, what is left to credit.
- ``emails``: the invoice email (queued on issue, or by staff's button), its PDF attached when sent.
- ``pdf``: ``invoice_pdf(invoice)`` and the PDF attached to the invoice email.
- ``pdf_layout``: ``PdfDocument``, the letterhead/address/table/totals layout any PDF of the roastery can reuse.
- ``queries``: what the staff pages read.

Getting paid:

- ``balances``: the one place an invoice's balance and state, aging and a customer's account are computed.
- ``payments``: ``record_payment``, ``allocate_payment`` (apply credit), ``remove_payment``.
- ``statements``: a customer's statement, read once for its page and its PDF.
- ``credit_limit``: ``credit_flags(customer_ids)``, the customers past CREDIT_LIMIT_OVERDUE_*.
- ``overdue``: the overdue-reminder tick (OVERDUE_REMINDER_DAYS).

The accountant's export:

- ``exports``: the accountant's files (Xero, QuickBooks Online, plain CSVs) for a date range.
"""
