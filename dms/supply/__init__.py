"""Supply evidence read from the archive: stock counts, purchase orders, the roster and leave, each row citing
the document, sheet and row it comes from. `dms.supply.evidence` is the door: refresh, supply_on, parts_known.

    tables.py   CSV/XLSX tables found by their header rows ([supply] in the rules)
    ics.py      leave from iCalendar files; recur.py expands their recurrence rules within bounds
    cells.py    one cell: dates, quantities with units, capacities
    evidence.py what is in force on a day
"""
