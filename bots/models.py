"""Tables of Bots."""


