"""What notify tells whoever acts on messages coming back."""

from django.dispatch import Signal

# Sent by notify.services.reply_received inside its transaction, once the reply is kept;
# keyword argument: reply (an IncomingReply). The acknowledgement of a notice by the code in
# an SMS reply connects here.
reply_arrived = Signal()
