"""What needs following up (issue 16): actions of minutes, replies owed or awaited, plan findings and change
requests waiting, per person and per product; a daily digest e-mail."""
