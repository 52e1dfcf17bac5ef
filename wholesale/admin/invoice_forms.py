"""The staff invoice page's form: a credit note for the whole invoice or for quantities of its lines."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import CountField, clean_text
from ..services.invoicing.credit_notes import REASON_MAX

QUANTITY_MAX = 1_000_000


class CreditNoteForm(FlaskForm):
    """``quantities-N`` is how much of the invoice's N-th line (from 0, in print order) to credit."""

    reason = TextAreaField(
        "Reason (printed on the credit note)",
        filters=[clean_text],
        validators=[
            DataRequired("Give the reason for the credit note."),
            Length(max=REASON_MAX, message=f"Keep the reason under {REASON_MAX} characters."),
        ],
    )
    whole = BooleanField("Credit everything not credited yet")
    quantities = FieldList(CountField("Quantity to credit", low=0, high=QUANTITY_MAX), max_entries=500)

    def quantities_by_line(self, lines) -> dict[int, int] | None:
        """What to credit, by invoice line id (None: everything left), for the service."""
        if self.whole.data:
            return None
        return {
            line.id: quantity or 0
            for line, quantity in zip(lines, self.quantities.data, strict=False)
            if quantity
        }
