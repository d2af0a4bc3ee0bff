"""The published test vectors of BIPs 381–386 and 389 (bitcoin/bips, ``bip-0381.mediawiki`` …
``bip-0389.mediawiki``, section "Test Vectors"), copied verbatim: each valid descriptor with
the scripts it produces (the 0th, 1st and 2nd child's when ranged), each multipath descriptor
with the single-path descriptors it expands into.

The vectors carry no ``#checksum``; :func:`parse_descriptor` demands one, so it is computed here
with embit's ``add_checksum``. Many vectors hold private keys (``xprv``, WIF), which
:func:`parse_descriptor` refuses (reservewatch only watches): their derivation is checked on the
descriptor as embit reads it, and :func:`parse_descriptor` is checked to refuse them. Every
extended key in the vectors is a main-network one.
"""

from __future__ import annotations

import re

import pytest
from embit.descriptor import Descriptor
from embit.descriptor.checksum import add_checksum
from embit.networks import NETWORKS
from embit.script import Script

from collector.bitcoin.descriptors import DescriptorError, WatchedDescriptor, parse_descriptor

# (BIP, descriptor, scripts): the valid vectors of a kind embit reads (pkh, wpkh, sh, wsh, tr).
SCRIPTS: list[tuple[int, str, list[str]]] = [
    (
        381,
        "pkh([deadbeef/1/2'/3/4']L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)",
        [
            "76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac",
        ],
    ),
    (
        381,
        "pkh([deadbeef/1/2'/3/4']03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56a"
        "c1c540c5bd)",
        [
            "76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac",
        ],
    ),
    (
        381,
        "pkh([deadbeef/1/2h/3/4h]03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56a"
        "c1c540c5bd)",
        [
            "76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac",
        ],
    ),
    (
        381,
        "pkh(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)",
        [
            "76a914b5bd079c4d57cc7fc28ecf8213a6b791625b818388ac",
        ],
    ),
    (
        381,
        "pkh(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235"
        "a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)",
        [
            "76a914b5bd079c4d57cc7fc28ecf8213a6b791625b818388ac",
        ],
    ),
    (
        381,
        "sh(pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))",
        [
            "a9141857af51a5e516552b3086430fd8ce55f7c1a52487",
        ],
    ),
    (
        381,
        "sh(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
        [
            "a9141857af51a5e516552b3086430fd8ce55f7c1a52487",
        ],
    ),
    (
        381,
        "sh(pkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))",
        [
            "a9141a31ad23bf49c247dd531a623c2ef57da3c400c587",
        ],
    ),
    (
        381,
        "sh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
        [
            "a9141a31ad23bf49c247dd531a623c2ef57da3c400c587",
        ],
    ),
    (
        381,
        "pkh(xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8"
        "NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0)",
        [
            "76a914ebdc90806a9c4356c1c88e42216611e1cb4c1c1788ac",
        ],
    ),
    (
        381,
        "pkh([bd16bee5/2147483647h]xpub69H7F5dQzmVd3vPuLKtcXJziMEQByuDidnX3YdwgtNsecY5HRG"
        "tAAQC5mXTt4dsv9RzyjgDjAQs9VGVV6ydYCHnprc9vvaA5YtqWyL6hyds/0)",
        [
            "76a914ebdc90806a9c4356c1c88e42216611e1cb4c1c1788ac",
        ],
    ),
    (
        382,
        "wpkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)",
        [
            "00149a1c78a507689f6f54b847ad1cef1e614ee23f1e",
        ],
    ),
    (
        382,
        "wpkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
        [
            "00149a1c78a507689f6f54b847ad1cef1e614ee23f1e",
        ],
    ),
    (
        382,
        "wpkh([ffffffff/13']xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3d"
        "KYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt/1/2/0)",
        [
            "0014326b2249e3a25d5dc60935f044ee835d090ba859",
        ],
    ),
    (
        382,
        "wpkh([ffffffff/13']xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXU"
        "bC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/1/2/*)",
        [
            "0014326b2249e3a25d5dc60935f044ee835d090ba859",
            "0014af0bd98abc2f2cae66e36896a39ffe2d32984fb7",
            "00141fa798efd1cbf95cebf912c031b8a4a6e9fb9f27",
        ],
    ),
    (
        382,
        "wsh(pkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))",
        [
            "0020338e023079b91c58571b20e602d7805fb808c22473cbc391a41b1bd3a192e75b",
        ],
    ),
    (
        382,
        "wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
        [
            "0020338e023079b91c58571b20e602d7805fb808c22473cbc391a41b1bd3a192e75b",
        ],
    ),
    (
        382,
        "wsh(pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))",
        [
            "00202e271faa2325c199d25d22e1ead982e45b64eeb4f31e73dbdf41bd4b5fec23fa",
        ],
    ),
    (
        382,
        "wsh(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
        [
            "00202e271faa2325c199d25d22e1ead982e45b64eeb4f31e73dbdf41bd4b5fec23fa",
        ],
    ),
    (
        382,
        "sh(wsh(pkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)))",
        [
            "a914b61b92e2ca21bac1e72a3ab859a742982bea960a87",
        ],
    ),
    (
        382,
        "sh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))",
        [
            "a914b61b92e2ca21bac1e72a3ab859a742982bea960a87",
        ],
    ),
    (
        383,
        "sh(multi(2,[00000000/111'/222]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXX"
        "WYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc,xprv9uPDJpEQgRQfDc"
        "W7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPd"
        "GZ2y9WACViL4L/0))",
        [
            "a91445a9a622a8b0a1269944be477640eedc447bbd8487",
        ],
    ),
    (
        383,
        "sh(wsh(multi(16,03669b8afcec803a0d323e9a17f3ea8e68e8abe5a278020a929adbec52421adb"
        "d0,0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600,0362a74e39"
        "9c39ed5593852a30147f2959b56bb827dfa3e60e464b02ccf87dc5e8,0261345b53de74a4d721ef8"
        "77c255429961b7e43714171ac06168d7e08c542a8b8,02da72e8b46901a65d4374fe6315538d8f36"
        "8557dda3a1dcf9ea903f3afe7314c8,0318c82dd0b53fd3a932d16e0ba9e278fcc937c582d5781be"
        "626ff16e201f72286,0297ccef1ef99f9d73dec9ad37476ddb232f1238aff877af19e72ba0449336"
        "1009,02e502cfd5c3f972fe9a3e2a18827820638f96b6f347e54d63deb839011fd5765d,03e68771"
        "0f0e3ebe81c1037074da939d409c0025f17eb86adb9427d28f0f7ae0e9,02c04d3a5274952acdbc7"
        "6987f3184b346a483d43be40874624b29e3692c1df5af,02ed06e0f418b5b43a7ec01d1d7d27290f"
        "a15f75771cb69b642a51471c29c84acd,036d46073cbb9ffee90473f3da429abc8de7f8751199da4"
        "4485682a989a4bebb24,02f5d1ff7c9029a80a4e36b9a5497027ef7f3e73384a4a94fbfe7c4e9164"
        "eec8bc,02e41deffd1b7cce11cde209a781adcffdabd1b91c0ba0375857a2bfd9302419f3,02d766"
        "25f7956a7fc505ab02556c23ee72d832f1bac391bcd2d3abce5710a13d06,0399eb0a5487515802d"
        "c14544cf10b3666623762fbed2ec38a3975716e2c29c232)))",
        [
            "a9147fc63e13dc25e8a95a3cee3d9a714ac3afd96f1e87",
        ],
    ),
    (
        383,
        "wsh(multi(20,KzoAz5CanayRKex3fSLQ2BwJpN7U52gZvxMyk78nDMHuqrUxuSJy,KwGNz6YCCQtYvF"
        "zMtrC6D3tKTKdBBboMrLTsjr2NYVBwapCkn7Mr,KxogYhiNfwxuswvXV66eFyKcCpm7dZ7TqHVqujHAV"
        "UjJxyivxQ9X,L2BUNduTSyZwZjwNHynQTF14mv2uz2NRq5n5sYWTb4FkkmqgEE9f,L1okJGHGn1kFjdX"
        "HKxXjwVVtmCMR2JA5QsbKCSpSb7ReQjezKeoD,KxDCNSST75HFPaW5QKpzHtAyaCQC7p9Vo3FYfi2u4d"
        "XD1vgMiboK,L5edQjFtnkcf5UWURn6UuuoFrabgDQUHdheKCziwN42aLwS3KizU,KzF8UWFcEC7BYTq8"
        "Go1xVimMkDmyNYVmXV5PV7RuDicvAocoPB8i,L3nHUboKG2w4VSJ5jYZ5CBM97oeK6YuKvfZxrefdShE"
        "CcjEYKMWZ,KyjHo36dWkYhimKmVVmQTq3gERv3pnqA4xFCpvUgbGDJad7eS8WE,KwsfyHKRUTZPQtysN"
        "7M3tZ4GXTnuov5XRgjdF2XCG8faAPmFruRF,KzCUbGhN9LJhdeFfL9zQgTJMjqxdBKEekRGZX24hXdgC"
        "NCijkkap,KzgpMBwwsDLwkaC5UrmBgCYaBD2WgZ7PBoGYXR8KT7gCA9UTN5a3,KyBXTPy4T7YG4q9tcA"
        "M3LkvfRpD1ybHMvcJ2ehaWXaSqeGUxEdkP,KzJDe9iwJRPtKP2F2AoN6zBgzS7uiuAwhWCfGdNeYJ3PC"
        "1HNJ8M8,L1xbHrxynrqLKkoYc4qtoQPx6uy5qYXR5ZDYVYBSRmCV5piU3JG9,KzRedjSwMggebB3Vufh"
        "bzpYJnvHfHe9kPJSjCU5QpJdAW3NSZxYS,Kyjtp5858xL7JfeV4PNRCKy2t6XvgqNNepArGY9F9F1SSP"
        "qNEMs3,L2D4RLHPiHBidkHS8ftx11jJk1hGFELvxh8LoxNQheaGT58dKenW,KyLPZdwY4td98bKkXqEX"
        "TEBX3vwEYTQo1yyLjX2jKXA63GBpmSjv))",
        [
            "0020376bd8344b8b6ebe504ff85ef743eaa1aa9272178223bcb6887e9378efb341ac",
        ],
    ),
    (
        383,
        "sh(wsh(multi(20,KzoAz5CanayRKex3fSLQ2BwJpN7U52gZvxMyk78nDMHuqrUxuSJy,KwGNz6YCCQt"
        "YvFzMtrC6D3tKTKdBBboMrLTsjr2NYVBwapCkn7Mr,KxogYhiNfwxuswvXV66eFyKcCpm7dZ7TqHVquj"
        "HAVUjJxyivxQ9X,L2BUNduTSyZwZjwNHynQTF14mv2uz2NRq5n5sYWTb4FkkmqgEE9f,L1okJGHGn1kF"
        "jdXHKxXjwVVtmCMR2JA5QsbKCSpSb7ReQjezKeoD,KxDCNSST75HFPaW5QKpzHtAyaCQC7p9Vo3FYfi2"
        "u4dXD1vgMiboK,L5edQjFtnkcf5UWURn6UuuoFrabgDQUHdheKCziwN42aLwS3KizU,KzF8UWFcEC7BY"
        "Tq8Go1xVimMkDmyNYVmXV5PV7RuDicvAocoPB8i,L3nHUboKG2w4VSJ5jYZ5CBM97oeK6YuKvfZxrefd"
        "ShECcjEYKMWZ,KyjHo36dWkYhimKmVVmQTq3gERv3pnqA4xFCpvUgbGDJad7eS8WE,KwsfyHKRUTZPQt"
        "ysN7M3tZ4GXTnuov5XRgjdF2XCG8faAPmFruRF,KzCUbGhN9LJhdeFfL9zQgTJMjqxdBKEekRGZX24hX"
        "dgCNCijkkap,KzgpMBwwsDLwkaC5UrmBgCYaBD2WgZ7PBoGYXR8KT7gCA9UTN5a3,KyBXTPy4T7YG4q9"
        "tcAM3LkvfRpD1ybHMvcJ2ehaWXaSqeGUxEdkP,KzJDe9iwJRPtKP2F2AoN6zBgzS7uiuAwhWCfGdNeYJ"
        "3PC1HNJ8M8,L1xbHrxynrqLKkoYc4qtoQPx6uy5qYXR5ZDYVYBSRmCV5piU3JG9,KzRedjSwMggebB3V"
        "ufhbzpYJnvHfHe9kPJSjCU5QpJdAW3NSZxYS,Kyjtp5858xL7JfeV4PNRCKy2t6XvgqNNepArGY9F9F1"
        "SSPqNEMs3,L2D4RLHPiHBidkHS8ftx11jJk1hGFELvxh8LoxNQheaGT58dKenW,KyLPZdwY4td98bKkX"
        "qEXTEBX3vwEYTQo1yyLjX2jKXA63GBpmSjv)))",
        [
            "a914c2c9c510e9d7f92fd6131e94803a8d34a8ef675e87",
        ],
    ),
    (
        386,
        "tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
        [
            "512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11",
        ],
    ),
    (
        386,
        "tr(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)",
        [
            "512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11",
        ],
    ),
    (
        386,
        "tr(xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuose"
        "XzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/0/*,pk(xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2Yvmhq"
        "LQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/1/*))",
        [
            "512078bc707124daa551b65af74de2ec128b7525e10f374dc67b64e00ce0ab8b3e12",
            "512001f0a02a17808c20134b78faab80ef93ffba82261ccef0a2314f5d62b6438f11",
            "512021024954fcec88237a9386fce80ef2ced5f1e91b422b26c59ccfc174c8d1ad25",
        ],
    ),
    (
        386,
        "tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,pk(669b8afce"
        "c803a0d323e9a17f3ea8e68e8abe5a278020a929adbec52421adbd0))",
        [
            "512017cf18db381d836d8923b1bdb246cfcd818da1a9f0e6e7907f187f0b2f937754",
        ],
    ),
    (
        386,
        "tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,{pk(xprvA2JD"
        "eKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5"
        "Mm3wDvUAKRHSC34sJ7in334/0),{{pk(xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVH"
        "QKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL),pk(02df12b7035b"
        "dac8e3bab862a3a83d06ea6b17b6753d52edecba9be46f5d09e076)},pk(L4rK1yDtCWekvXuE6oXD"
        "9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)}})",
        [
            "512071fff39599a7b78bc02623cbe814efebf1a404f5d8ad34ea80f213bd8943f574",
        ],
    ),
    (
        386,
        "tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,pkh(L4rK1yDt"
        "CWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))",
        [],
    ),
]

# BIP 389: (multipath descriptor, its single-path expansions).
MULTIPATH: list[tuple[str, list[str]]] = [
    (
        "pkh(xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8"
        "NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/<2147483647h;0>/0)",
        [
            "pkh(xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8"
            "NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647h/0)",
            "pkh(xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8"
            "NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/0/0)",
        ],
    ),
    (
        "wpkh([ffffffff/13h]xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXU"
        "bC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/<1;3>/2/*)",
        [
            "wpkh([ffffffff/13h]xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXU"
            "bC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/1/2/*)",
            "wpkh([ffffffff/13h]xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXU"
            "bC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/3/2/*)",
        ],
    ),
    (
        "pkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz"
        "8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/<0;1;2>)",
        [
            "pkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz"
            "8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/0)",
            "pkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz"
            "8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/1)",
            "pkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz"
            "8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/2)",
        ],
    ),
    (
        "sh(multi(2,xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4k"
        "oxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/<1;2;3>/0/*,xpub68NZiKmJWnxxS6aaHmn81"
        "bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih"
        "19Zm4Y/0/*,xpub661MyMwAqRbcGDZQUKLqmWodYLcoBQnQH33yYkkF3jjxeLvY8qr2wWGEWkiKFaaQf"
        "JCoi3HeEq3Dc5DptfbCyjD38fNhSqtKc1UHaP4ba3t/0/0/<3;4;5>/*))",
        [
            "sh(multi(2,xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4k"
            "oxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/1/0/*,xpub68NZiKmJWnxxS6aaHmn81bvJeTE"
            "Sw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y"
            "/0/*,xpub661MyMwAqRbcGDZQUKLqmWodYLcoBQnQH33yYkkF3jjxeLvY8qr2wWGEWkiKFaaQfJCoi3H"
            "eEq3Dc5DptfbCyjD38fNhSqtKc1UHaP4ba3t/0/0/3/*))",
            "sh(multi(2,xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4k"
            "oxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/2/0/*,xpub68NZiKmJWnxxS6aaHmn81bvJeTE"
            "Sw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y"
            "/0/*,xpub661MyMwAqRbcGDZQUKLqmWodYLcoBQnQH33yYkkF3jjxeLvY8qr2wWGEWkiKFaaQfJCoi3H"
            "eEq3Dc5DptfbCyjD38fNhSqtKc1UHaP4ba3t/0/0/4/*))",
            "sh(multi(2,xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4k"
            "oxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3/0/*,xpub68NZiKmJWnxxS6aaHmn81bvJeTE"
            "Sw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y"
            "/0/*,xpub661MyMwAqRbcGDZQUKLqmWodYLcoBQnQH33yYkkF3jjxeLvY8qr2wWGEWkiKFaaQfJCoi3H"
            "eEq3Dc5DptfbCyjD38fNhSqtKc1UHaP4ba3t/0/0/5/*))",
        ],
    ),
]

# Valid vectors embit does not read: pk(), bare multi()/sortedmulti(), combo(), raw(), addr(),
# hardened children (*h, *').
UNSUPPORTED: list[tuple[int, str]] = [
    (
        381,
        "pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)",
    ),
    (
        381,
        "pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
    ),
    (
        381,
        "pk(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)",
    ),
    (
        381,
        "pk(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a"
        "0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)",
    ),
    (
        381,
        "pk(xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6v"
        "cBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L/0)",
    ),
    (
        381,
        "pk(xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjN"
        "Lf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0)",
    ),
    (
        382,
        "sh(wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJx"
        "WUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/10/20/30/40/*'))",
    ),
    (
        382,
        "sh(wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJx"
        "WUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/10/20/30/40/*h))",
    ),
    (
        383,
        "multi(1,L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1,5KYZdUEo39z3FPrtuX2"
        "QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)",
    ),
    (
        383,
        "multi(1,03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,04a34"
        "b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa87224"
        "76c7709c02559e3aa73aa03918ba2d492eea75abea235)",
    ),
    (
        383,
        "sortedmulti(1,04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"
        "5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235,03a34b99f22c790"
        "c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
    ),
    (
        383,
        "sortedmulti(2,xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZ"
        "w4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/*,xpub68NZiKmJWnxxS6aaHmn81bvJeTES"
        "w724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/"
        "0/0/*)",
    ),
    (
        383,
        "wsh(multi(2,xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssr"
        "dK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0,xprv9vHkqa6EV4sPZHYqZz"
        "nhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWke"
        "S3v86pgKt/1/2/*,xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVv"
        "vNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/10/20/30/40/*'))",
    ),
    (
        384,
        "combo(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)",
    ),
    (
        384,
        "combo(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec52"
        "35a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)",
    ),
    (
        384,
        "combo([01234567]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkr"
        "gZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL)",
    ),
    (
        384,
        "combo(xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7Rty"
        "zTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334/*)",
    ),
    (
        385,
        "raw(deadbeef)",
    ),
    (
        385,
        "raw(512103a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd4104a3"
        "4b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722"
        "476c7709c02559e3aa73aa03918ba2d492eea75abea23552ae)",
    ),
    (
        385,
        "raw(a9149a4d9901d6af519b2a23d4a2f51650fcba87ce7b87)",
    ),
    (
        385,
        "addr(3PUNyaW7M55oKWJ3kDukwk9bsKvryra15j)",
    ),
    (
        389,
        "pk(xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjN"
        "Lf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/<0;1>)",
    ),
    (
        389,
        "multi(2,xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb"
        "5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/<1;2>/*,xpub68NZiKmJWnxxS6aaHmn81bvJeTES"
        "w724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/"
        "<3;4>/0/*)",
    ),
]


def _watched(text: str) -> WatchedDescriptor:
    """``text`` as embit reads it, private keys and all (not through the configuration's
    checks): the derivation alone."""
    return WatchedDescriptor(add_checksum(text), "main", Descriptor.from_string(text))


def _address(script_hex: str) -> str:
    return str(Script(bytes.fromhex(script_hex)).address(NETWORKS["main"]))


def _has_private_key(text: str) -> bool:
    return any(key.is_private for key in Descriptor.from_string(text).keys)


def _ids(vectors: list[tuple[int, str, list[str]]]) -> list[str]:
    return [f"bip{bip}-{n}" for n, (bip, _, _) in enumerate(vectors)]


@pytest.mark.parametrize(("bip", "text", "scripts"), SCRIPTS, ids=_ids(SCRIPTS))
def test_a_valid_vector_derives_the_published_scripts(
    bip: int, text: str, scripts: list[str]
) -> None:
    d = _watched(text)
    assert d.branches == 1
    if not scripts:  # BIP 386 lists tr(KEY,pkh(KEY)) as valid without its script
        assert d.address(0)
    for index, script in enumerate(scripts):
        assert d.address(index) == _address(script), f"child {index}"
    if not d.ranged:
        assert len(scripts) <= 1
        with pytest.raises(DescriptorError, match="not ranged"):
            d.address(1)


@pytest.mark.parametrize(("bip", "text", "scripts"), SCRIPTS, ids=_ids(SCRIPTS))
def test_a_valid_vector_is_watched_at_its_address_or_refused_for_its_private_key(
    bip: int, text: str, scripts: list[str]
) -> None:
    if _has_private_key(text):
        with pytest.raises(DescriptorError, match="private key"):
            parse_descriptor(add_checksum(text), "main")
        return
    d = parse_descriptor(add_checksum(text), "main")
    for index, script in enumerate(scripts):
        assert d.address(index) == _address(script)
        assert d.first_unused({_address(s) for s in scripts[:index]}) == _address(script)


def test_a_fixed_xpub_with_a_derivation_step_watches_the_child_key() -> None:
    """Issue 27: ``pkh(xpub…/0)`` was watched at the xpub's own key's address."""
    text = next(t for _, t, _ in SCRIPTS if t.startswith("pkh([bd16bee5/"))
    d = parse_descriptor(add_checksum(text), "main")
    assert not d.ranged
    assert d.address() == _address("76a914ebdc90806a9c4356c1c88e42216611e1cb4c1c1788ac")
    assert d.address() != str(Descriptor.from_string(text).address(NETWORKS["main"]))


@pytest.mark.parametrize(("text", "expansions"), MULTIPATH)
def test_a_multipath_vector_is_one_descriptor_per_branch(text: str, expansions: list[str]) -> None:
    """BIP 389: each branch derives as its expansion does, ranged or fixed."""
    d = _watched(text)
    assert d.branches == len(expansions)
    assert d.single_path_bodies() == expansions
    for branch, expansion in enumerate(expansions):
        single = _watched(expansion)
        assert single.branches == 1
        assert single.ranged == d.ranged
        for index in range(3 if d.ranged else 1):
            assert d.address(index, branch) == single.address(index)
    with pytest.raises(DescriptorError, match="no branch"):
        d.address(0, len(expansions))


def test_a_fixed_multipath_descriptor_has_one_address_per_branch() -> None:
    """BIP 389's ``pkh(xpub…/<0;1;2>)``: three branches, three addresses (reservewatch
    watched one address for all three)."""
    text = next(t for t, _ in MULTIPATH if t.endswith("/<0;1;2>)"))
    d = parse_descriptor(add_checksum(text), "main")
    assert not d.ranged
    addresses = [d.address(0, branch) for branch in range(d.branches)]
    assert len(set(addresses)) == 3
    assert d.first_unused(addresses) == addresses[0]


@pytest.mark.parametrize(("bip", "text"), UNSUPPORTED)
def test_a_valid_vector_of_a_kind_not_watched_is_refused_in_one_line(bip: int, text: str) -> None:
    """``pk()``, bare ``multi()``/``sortedmulti()`` (no address), ``combo()`` (four),
    ``raw()``/``addr()`` (list the address instead) and hardened ``*h`` children (an xpub
    cannot derive them): embit does not read them, and the configuration says so in a line."""
    with pytest.raises(DescriptorError) as caught:
        parse_descriptor(add_checksum(text), "main")
    assert "\n" not in str(caught.value)


# BIP 380, valid key expressions: each is put in pkh(…) here to make it a descriptor.
VALID_KEYS: list[str] = [
    "0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235"
    "a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235",
    "[deadbeef/0h/0h/0h]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeef/0'/0'/0']0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeef/0'/0h/0']0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss",
    "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1",
    "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaH"
    "WkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL",
    "[deadbeef/0h/1h/2h]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgb"
    "mJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL",
    "[deadbeef/0h/1h/2h]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgb"
    "mJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3/4/5",
    "[deadbeef/0h/1h/2h]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgb"
    "mJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3/4/5/*",
    "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaH"
    "WkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3h/4h/5h/*",
    "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaH"
    "WkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3h/4h/5h/*h",
    "[deadbeef/0h/1h/2]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbm"
    "JbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3h/4h/5h/*h",
    "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuos"
    "eXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc",
    "[deadbeef/0h/1h/2h]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3"
    "xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc",
    "[deadbeef/0h/1h/2h]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3"
    "xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3/4/5",
    "[deadbeef/0h/1h/2h]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3"
    "xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3/4/5/*",
    "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuos"
    "eXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3h/4h/5h/*",
    "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuos"
    "eXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3h/4h/5h/*h",
    "[deadbeef/0h/1h/2]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3x"
    "z7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3h/4h/5h/*h",
]
# BIP 380, checksum and character set: the invalid ones, as published (with their #checksum).
INVALID_CHECKSUMS: list[str] = [
    "raw(deadbeef)",
    "raw(deadbeef)#",
    "raw(deadbeef)#89f8spxmx",
    "raw(deadbeef)#89f8spx",
    "raw(deedbeef)#89f8spxm",
    "raw(deedbeef)##9f8spxm",
    "raw(Ü)#00000000",
]

# BIP 380, invalid key expressions: each is put in pkh(…) here to make it a descriptor.
INVALID_KEYS: list[str] = [
    "[deadbeef/0h/0h/0h/*]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeef/0h/0h/0h/]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbef/0h/0h/0h]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeeef/0h/0h/0h]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeef/0f/0f/0f]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeef/-0/-0/-0]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeef/0H/0H/0H]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600",
    "[deadbeef/0h/1h/2]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3x"
    "z7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3H/4h/5h/*H",
    "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1/0",
    "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1/*",
    "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8"
    "NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483648",
    "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8"
    "NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/1aa",
    "[aaaaaaaa][aaaaaaaa]xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtAL"
    "Gdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0",
    "aaaaaaaa]xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ss"
    "rdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0",
    "[gaaaaaaa]xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6s"
    "srdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0",
    "[deadbeef]",
]

# BIPs 381–386 and 389, invalid descriptors (the #checksum computed here).
INVALID: list[tuple[int, str]] = [
    (
        381,
        "pk(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        381,
        "pkh(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        381,
        "sh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
    ),
    (
        381,
        "sh(sh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))",
    ),
    (
        382,
        "wpkh(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)",
    ),
    (
        382,
        "sh(wpkh(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss))",
    ),
    (
        382,
        "wpkh(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8de"
        "c5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)",
    ),
    (
        382,
        "sh(wpkh(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b"
        "8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235))",
    ),
    (
        382,
        "wsh(pk(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss))",
    ),
    (
        382,
        "wsh(pk(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8"
        "dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235))",
    ),
    (
        382,
        "wsh(wpkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        382,
        "wsh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))",
    ),
    (
        382,
        "sh(wsh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))))",
    ),
    (
        382,
        "wpkh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))",
    ),
    (
        382,
        "wsh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
    ),
    (
        383,
        "sh(multi(16,03669b8afcec803a0d323e9a17f3ea8e68e8abe5a278020a929adbec52421adb"
        "d0,0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600,0362a7"
        "4e399c39ed5593852a30147f2959b56bb827dfa3e60e464b02ccf87dc5e8,0261345b53de74a"
        "4d721ef877c255429961b7e43714171ac06168d7e08c542a8b8,02da72e8b46901a65d4374fe"
        "6315538d8f368557dda3a1dcf9ea903f3afe7314c8,0318c82dd0b53fd3a932d16e0ba9e278f"
        "cc937c582d5781be626ff16e201f72286,0297ccef1ef99f9d73dec9ad37476ddb232f1238af"
        "f877af19e72ba04493361009,02e502cfd5c3f972fe9a3e2a18827820638f96b6f347e54d63d"
        "eb839011fd5765d,03e687710f0e3ebe81c1037074da939d409c0025f17eb86adb9427d28f0f"
        "7ae0e9,02c04d3a5274952acdbc76987f3184b346a483d43be40874624b29e3692c1df5af,02"
        "ed06e0f418b5b43a7ec01d1d7d27290fa15f75771cb69b642a51471c29c84acd,036d46073cb"
        "b9ffee90473f3da429abc8de7f8751199da44485682a989a4bebb24,02f5d1ff7c9029a80a4e"
        "36b9a5497027ef7f3e73384a4a94fbfe7c4e9164eec8bc,02e41deffd1b7cce11cde209a781a"
        "dcffdabd1b91c0ba0375857a2bfd9302419f3,02d76625f7956a7fc505ab02556c23ee72d832"
        "f1bac391bcd2d3abce5710a13d06,0399eb0a5487515802dc14544cf10b3666623762fbed2ec"
        "38a3975716e2c29c232))",
    ),
    (
        383,
        "multi(a,03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,0"
        "4a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a"
        "0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)",
    ),
    (
        383,
        "multi(0,03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,0"
        "4a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a"
        "0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)",
    ),
    (
        383,
        "multi(3,L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1,5KYZdUEo39z3FPr"
        "tuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)",
    ),
    (
        384,
        "sh(combo(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        384,
        "wsh(combo(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        384,
        "combo(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        385,
        "raw(asdf)",
    ),
    (
        385,
        "addr(asdf)",
    ),
    (
        385,
        "sh(raw(deadbeef))",
    ),
    (
        385,
        "wsh(raw(deadbeef))",
    ),
    (
        385,
        "sh(addr(3PUNyaW7M55oKWJ3kDukwk9bsKvryra15j))",
    ),
    (
        385,
        "wsh(addr(3PUNyaW7M55oKWJ3kDukwk9bsKvryra15j))",
    ),
    (
        386,
        "tr(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)",
    ),
    (
        386,
        "tr(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5"
        "235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)",
    ),
    (
        386,
        "wsh(tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        386,
        "sh(tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))",
    ),
    (
        389,
        "pkh(xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4P"
        "FmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/<0;1>/<2;3>)",
    ),
    (
        389,
        "pkh([deadbeef/<0;1>]xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUa"
        "pSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/0)",
    ),
    (
        389,
        "tr(xpub661MyMwAqRbcF3yVrV2KyYetLMYA5mCbv4BhrKwUrFE9LZM6JRR1AEt8Jq4V4C8LwtTke"
        "6YEEdCZqgXp85YRk2j74EfJKhe3QybQ9kcUjs4/<6;7;8;9>/*,{pk(xpub6ERApfZwUNrhLCkDt"
        "cHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQL"
        "cgJvLJuZZvRcEL/<1;2;3>/0/*),pk(xpub661MyMwAqRbcGDZQUKLqmWodYLcoBQnQH33yYkkF3"
        "jjxeLvY8qr2wWGEWkiKFaaQfJCoi3HeEq3Dc5DptfbCyjD38fNhSqtKc1UHaP4ba3t/0/0/<3;4;"
        "5>/*)})",
    ),
    (
        389,
        "sh(multi(2,xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8"
        "L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/<1;2;3>/0/*,xprv9uPDJpEQgRQfD"
        "cW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJ"
        "FjaPdGZ2y9WACViL4L/0/*,xprv9s21ZrQH143K3jUwNHoqQNrtzJnJmx4Yup8NkNLdVQCymYbPb"
        "JXnPhwkfTfxZfptcs3rLAPUXS39oDLgrNKQGwbGsEmJJ8BU3RzQuvShEG4/0/0/<3;4>/*))",
    ),
    (
        389,
        "wpkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMS"
        "gv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/<>/*)",
    ),
    (
        389,
        "wpkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMS"
        "gv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/0>/*)",
    ),
    (
        389,
        "wpkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMS"
        "gv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/<0/*)",
    ),
    (
        389,
        "wpkh(xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMS"
        "gv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB/<0;>/*)",
    ),
]


def _refusal(text: str) -> str:
    with pytest.raises(DescriptorError) as caught:
        parse_descriptor(text, "main")
    message = str(caught.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize("key", VALID_KEYS)
def test_a_valid_key_expression_is_watched_unless_private_or_hardened_after_the_key(
    key: str,
) -> None:
    text = add_checksum(f"pkh({key})")
    bare, _, steps = key.rpartition("]")[2].partition("/")
    if bare.startswith(("02", "03", "04", "xpub")) and not re.search("[h']", steps):
        assert parse_descriptor(text, "main").address()
    else:  # a private key, or a hardened step after the key: an xpub cannot derive it
        assert re.search(r"private key|[Hh]ardened", _refusal(text))


@pytest.mark.parametrize("text", INVALID_CHECKSUMS)
def test_an_invalid_checksum_vector_is_refused_in_one_line(text: str) -> None:
    _refusal(text)


@pytest.mark.parametrize("key", INVALID_KEYS)
def test_an_invalid_key_expression_is_refused_in_one_line(key: str) -> None:
    _refusal(add_checksum(f"pkh({key})"))


@pytest.mark.parametrize(
    ("bip", "text"), INVALID, ids=[f"bip{b}-{n}" for n, (b, _) in enumerate(INVALID)]
)
def test_an_invalid_vector_is_refused_in_one_line(bip: int, text: str) -> None:
    _refusal(add_checksum(text))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("raw(Ü)#00000000", r"'Ü' \(U\+00DC\) at position 5 is not in the descriptor character"),
        (
            "wpkh(хpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4A"
            "LHY2grBGRjaDMzQLcgJvLJuZZvRcEL/0/*)#00000000",
            r"'х' \(U\+0445\) at position 6 .* look-alike",
        ),
        (INVALID_KEYS[5].join(("pkh(", ")")), r"step '-0'"),
        (INVALID_KEYS[6].join(("pkh(", ")")), r"step '0H'"),
        (INVALID_KEYS[1].join(("pkh(", ")")), r"step ''"),
        (next(t for _, t in INVALID if t.startswith("tr(xpub")), "multipath steps of different"),
        (next(t for _, t in INVALID if t.startswith("sh(multi(16,")), "P2SH script is 547 bytes"),
        (next(t for _, t in INVALID if t.startswith("wpkh(04")), "uncompressed public key"),
        (next(t for _, t in INVALID if t.startswith("tr(04")), "uncompressed public key"),
    ],
)
def test_what_embit_reads_but_the_bips_refuse_is_refused_saying_why(text: str, reason: str) -> None:
    if "#" not in text:
        text = add_checksum(text)
    assert re.search(reason, _refusal(text))
