"""Answers to RoB 2's signalling questions that the tests share."""

# Every domain low (D1 1.1-1.3, D2 2.1, 2.2, 2.6, D3 3.1, D4 4.1-4.3, D5 5.1-5.3).
LOW = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y",
       "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "Y", "5.2": "N", "5.3": "N"}  # fmt: skip
# The sequence not concealed (1.2 N): D1 high, whatever else.
HIGH_D1 = {**LOW, "1.2": "N"}
