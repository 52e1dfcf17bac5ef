"""Planning the coming delivery week: who has ordered, who will, who said no, who is silent (``board``), and
what the week's roast will likely be (``forecast``); ``week`` says which days a week is, ``nudge`` reminds
the silent ones again."""
