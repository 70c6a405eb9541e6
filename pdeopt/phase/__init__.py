"""Phase retrieval: ER, HIO, OSS and the primal–dual hybrid gradient with dual smoothing.

Source: Osher (2018), phase retrieval part (GPS: Pham, Yin, Rana, Osher, Miao 2019).
"""
