"""How the incidents floor tells the floors above it of a step, without importing them."""

from django.dispatch import Signal

# Sent inside the final report's transaction, before anything is written, with `incident`
# (locked). A receiver that must refuse the final report raises StateConflict: the response
# app does while a response to the incident is proposed or active (§4.1, §4.10).
final_report_filing = Signal()
