"""The first version of the user agreement a fresh gateway publishes, in Chinese and English,
written from the app's user agreement (``user-service-agreement.txt``: clauses 1 to 6).

A gateway collects nothing that needs a notice before a version is in effect (clause 1.6),
so ``flask init`` publishes this one on a fresh install; an operator replaces it with their
own from the admin console. Being the first, it is not announced as a change.
"""

from __future__ import annotations

from gateway.consent.policies import PolicyVersion, current_policy, publish_policy
from gateway.consent.policy_texts import PolicyText
from gateway.consent.purposes import Catalogue
from gateway.core.clock import Clock
from gateway.core.store import Store

VERSION = "1.0"
SUMMARIES = {"zh": "首个版本", "en": "First version"}

CHINESE = """本网关的用户协议（首个版本）

本网关由贵单位在自己的服务器上运行，为 BI 产品的手机伴侣应用提供扫码登录、扫码预览报表、连接新手机和通知服务。以下说明它处理哪些个人信息、为什么处理、保存多久，以及您有哪些权利。

一、我们处理的信息
1. 账号信息：用户名、姓名，以及管理员录入的邮箱和电话，用于登录和识别您。
2. 设备信息：手机型号、操作系统及版本、应用版本、设备标识和网络地址（地址保存 7 天后截短为网段），用于让您的手机安全地登录和接收消息。
3. 登录记录：浏览器类型、操作系统和大致地点，用于在手机上告诉您是谁在请求登录，并供您查看和撤销。
4. 同意记录：您对每项权限作出的选择、看到的告知文本及时间，用于证明您的选择。

二、需要您单独同意的权限
摄像头（应用内扫码）、推送通知、位置信息和与合作方共享，每一项都会单独征求您的同意，可以随时撤回。拒绝某一项只会关闭对应的功能，其他功能照常使用。推送通知会经由您手机浏览器所用的推送服务（如 Google、Apple、Mozilla 或 Microsoft）发送，通知内容会离开本服务器。位置信息属于敏感个人信息，只在您同意后使用：您在手机上批准电脑登录时，若该电脑离您手机所在之处很远，应用会提醒您；撤回同意会立即删除已保存的位置。

三、保存期限
个人信息只保存实现目的所需的时间：访问日志 30 天，操作日志 180 天，位置信息 7 天（撤回同意时立即删除），推送发送记录 30 天，已结束的会话 30 天。具体期限以隐私中心显示为准。

四、共享
未经您的主动授权，我们不会向任何第三方提供您的个人信息。与合作方共享时，告知中会写明接收方、用途和具体字段。

五、您的权利
您可以在应用的隐私中心查看、导出和更正您的信息，撤回任何同意，退出任何设备，或删除您的账号。

六、协议更新
协议更新时，我们会在应用中通知您；涉及的权限会再次征求您的同意。

如有疑问，请联系贵单位的网关管理员。"""

ENGLISH = """The gateway's user agreement (first version)

This gateway runs on your organisation's own server. It gives the BI product's mobile companion app scan to log in, scan to preview a report, connecting a new phone, and notifications. This says which personal information it processes, why, for how long, and what your rights are.

1. What we process
1. Account: your username and name, and the e-mail and phone your administrator entered, to sign you in and tell you apart.
2. Devices: the phone's model, system and version, the app's version, a device identifier and the network address (cut to its network after 7 days), so that your phone signs in safely and receives messages.
3. Sign-ins: the browser, the system and a coarse place, so that your phone can tell you who asks to sign in, and you can see and revoke them.
4. Consent records: each choice you made on a permission, the notice you saw and when, as proof of your choice.

2. Permissions asked for separately
The camera (the app's own scanner), notifications, location and sharing with partners are each asked for on their own, and can be withdrawn at any time. Refusing one only turns off its own function; everything else keeps working. Notifications go through the push service of your phone's browser (Google, Apple, Mozilla or Microsoft), so their content leaves this server. Location is sensitive personal information and is used only with your consent: when you approve a sign-in on a computer, the app warns you if that computer is far from where your phone is; withdrawing the consent deletes the stored positions at once.

3. How long it is kept
Personal information is kept only as long as its purpose needs: the access log 30 days, the operation log 180 days, locations 7 days (at once when you withdraw the consent), push delivery records 30 days, ended sessions 30 days. The privacy centre shows the periods in force.

4. Sharing
Nothing about you is given to anyone else without your active authorisation. Sharing with a partner names the recipient, the purpose and the exact fields in its notice.

5. Your rights
In the app's privacy centre you can see, export and correct your information, withdraw any consent, sign any device out, or delete your account.

6. Changes
When this agreement changes, the app tells you, and the permissions the change concerns are asked for again.

Questions: ask your organisation's gateway administrator."""


def publish_first(store: Store, clock: Clock, catalogue: Catalogue) -> PolicyVersion | None:
    """Publish the first version (both languages) unless a version exists; returns it, or
    None when one was published before."""
    with store.read() as connection:
        if current_policy(connection, clock) is not None:
            return None
    return publish_policy(store, clock, catalogue, version=VERSION,
                          texts={"zh": PolicyText(SUMMARIES["zh"], CHINESE),
                                 "en": PolicyText(SUMMARIES["en"], ENGLISH)},
                          changes=[purpose.name for purpose in catalogue])
