"""Tables of Affiliates."""


