"""Must FAIL ``mypy --strict``: a Chan[int] does not accept a str."""

import cspy

cspy.Chan[int](1).send("one")  # expect: arg-type incompatible type "str"; expected "int"
