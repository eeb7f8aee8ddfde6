"""liangxin — 两新组织党建统计: returns in, audited indicators and the annual return out."""

__version__ = "0.1.0"
