"""Tables of Chat."""


