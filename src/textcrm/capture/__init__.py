"""Capture activities from where the work happens: an email message, a calendar export.

`match` finds the contacts behind addresses and the opportunity they belong to; `mail` reads
one message (the standard library's email parser); `meetings` turns calendar events (read by
textcrm.calendar) into meeting activities; `write` checks and writes the edits they make.
"""
