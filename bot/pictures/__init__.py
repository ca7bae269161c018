"""PNG pictures of a tally (the card) and of its course (the timeline), for chat and the web.

matplotlib is imported only when a picture is drawn, so commands that draw none do not pay for
it at start-up."""
