def seed(only_if_empty: bool = False) -> str:
    raise NotImplementedError
