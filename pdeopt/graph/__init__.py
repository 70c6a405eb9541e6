"""Graph interpolation: kNN graphs, GL and WNLL harmonic extension, the WNLL output layer.

Source: Osher (2018), "Deep learning with data dependent implicit activation functions".
"""
