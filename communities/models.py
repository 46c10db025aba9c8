"""Tables of Communities."""


