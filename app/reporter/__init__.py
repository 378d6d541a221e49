"""The reporter's private pages (reply, confirm, reopen, rate) and following a ticket by e-mail."""
