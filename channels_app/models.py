"""Tables of Channels."""


